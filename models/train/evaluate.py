"""Judge DIN models on the held-out split (never seen in training) with the independent judge.

For every (photo, style) pair of the held-out split, each model paints the photo (centre square
at --size) with the style encoded at --style-size, as `dinstyle image` does by default: photos
larger than --processing-size are painted at that size and scaled back, given the fine band of a
second painting at full size (--texture) and the photo's fine detail (--detail). The
pictures are written as `{content}__{style}.png` and scored by `../shared/judge` (VGG-19 style
loss, SSIM, content loss, colour distance), next to two references scored the same way: the
photo itself and Reinhard et al. (2001) colour transfer. Beside the judge's numbers,
`layout_change` measures blotches (see its docstring).

    python evaluate.py --ckpt runs/din.ckpt ../din-mobile.safetensors --out /tmp/judged
    python evaluate.py --ckpt runs/din.ckpt --out /tmp/judged --size 512 --styles 10 --photos 20
    python evaluate.py --ckpt runs/din.ckpt --out /tmp/judged --size 512 --processing-size 0  # full size
    python evaluate.py --ckpt runs/din.ckpt --out /tmp/judged --size 512 --detail 0  # no detail put back
    python evaluate.py --ckpt runs/din.ckpt --out /tmp/judged --size 512 --texture 0  # as the element paints
    python evaluate.py --ckpt ../din-mobile.safetensors --out /tmp/judged --dinstyle ../../target/release/dinstyle

`--dinstyle BIN` also judges each exported model as the product paints it: `BIN image` given the
judge's own photo and style files and the same options, so that the Python twin's numbers can be
checked against what users get.

The judge's network measures only: it is never a training loss. `--training-loss` adds the
training's own VGG-16 numbers, which a model trained against them can match without painting.
Everything under --out is derived from the data: keep it out of the repository.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

import data
from losses import downsample, luma
from model import Config, DINNet, checkpoint_weights, mix_kernels
from train import DEFAULT_DATA, HERE, load_exported, splits

JUDGE = HERE.parents[2] / "shared" / "judge" / "judge.py"
SHEET_PHOTOS, SHEET_STYLES = 6, 6  # the fixed picture sheet: the first photos x the first styles
LAYOUT_POOL = 8  # layout_change's scale: broader than a stroke, finer than a face

# RGB -> LMS -> log10 -> l-alpha-beta (Reinhard, Ashikhmin, Gooch, Shirley 2001).
RGB2LMS = np.array([[0.3811, 0.5783, 0.0402], [0.1967, 0.7244, 0.0782], [0.0241, 0.1288, 0.8444]])
LMS2LAB = np.diag([1 / np.sqrt(3), 1 / np.sqrt(6), 1 / np.sqrt(2)]) @ np.array(
    [[1, 1, 1], [1, 1, -2], [1, -1, 0]])


def reinhard(content, style):
    """Colour transfer of Reinhard et al. 2001 on HxWx3 float RGB images in [0, 1]."""
    def to_lab(rgb):
        lms = np.clip(rgb.reshape(-1, 3) @ RGB2LMS.T, 1e-4, None)
        return np.log10(lms) @ LMS2LAB.T

    c, s = to_lab(content), to_lab(style)
    out = (c - c.mean(0)) / (c.std(0) + 1e-8) * s.std(0) + s.mean(0)
    lms = 10 ** (out @ np.linalg.inv(LMS2LAB).T)
    return np.clip(lms @ np.linalg.inv(RGB2LMS).T, 0, 1).reshape(content.shape)


def load_net(path):
    """A training checkpoint (train.py) or an exported model file (export.py) -> (net, iteration)."""
    path = Path(path)
    if path.suffix == ".safetensors":
        net, it = load_exported(path)
    else:
        ckpt = torch.load(path, weights_only=False, map_location="cpu")
        net = DINNet(Config.from_dict(ckpt["config"]))
        net.load_state_dict(checkpoint_weights(ckpt))
        it = ckpt.get("iteration")
    return net.eval(), it


def to_hwc(t):
    return t[0].permute(1, 2, 0).clamp(0, 1).double().numpy()


def save_png(t, path):
    img = (t[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    Image.fromarray(img).save(path)


class HeldOut:
    """The held-out photos and styles as centre squares, also written where the judge reads them."""

    def __init__(self, root, out, n_photos, n_styles, size, style_size, processing_size=0, detail=0.0,
                 texture=0.0):
        self.processing_size = processing_size  # paint larger photos at this side (0: never)
        self.detail = detail  # share of the photo's fine luma put back after scaling up
        self.texture = texture  # share of a full-size painting's fine band added after scaling up
        _, content_val, _, style_val = splits(root)
        self.photo_paths, self.style_paths = content_val[:n_photos], style_val[:n_styles]
        sq = lambda p, s: data.to_uint8_tensor(data.center_square(data.load_rgb(p), s))[None].float() / 255
        self.photos = [sq(p, size) for p in self.photo_paths]
        self.styles = [sq(p, size) for p in self.style_paths]  # what the judge compares with
        self.style_inputs = [sq(p, style_size) for p in self.style_paths]  # what the model encodes
        # one pair of reference folders per size: the judge compares with these, and a folder
        # reused by a run at another size would hold the other size's pictures
        self.content_dir, self.style_dir = out / f"content-{size}px", out / f"style-{size}px"
        for folder, images, paths in ((self.content_dir, self.photos, self.photo_paths),
                                      (self.style_dir, self.styles, self.style_paths)):
            folder.mkdir(parents=True, exist_ok=True)
            for t, p in zip(images, paths):
                if not (folder / f"{p.stem}.png").exists():
                    save_png(t, folder / f"{p.stem}.png")

    @property
    def scaled(self):
        """Photos are painted at the processing size and scaled back (as dinstyle paints them)."""
        return 0 < self.processing_size < self.photos[0].shape[-1]

    def name(self, ci, si):
        """The judge's file name of a pair's picture."""
        return f"{self.photo_paths[ci].stem}__{self.style_paths[si].stem}.png"

    def pairs(self):
        for si in range(len(self.style_paths)):
            for ci in range(len(self.photo_paths)):
                yield ci, si, self.name(ci, si)


def paint_all(folder, held, paint):
    """Write paint(ci, si) for every pair unless the folder is already complete."""
    names = [n for _, _, n in held.pairs()]
    if folder.is_dir() and all((folder / n).exists() for n in names):
        return
    folder.mkdir(parents=True, exist_ok=True)
    for ci, si, name in held.pairs():
        save_png(paint(ci, si), folder / name)


def paint_with_dinstyle(binary, held, folder, options):
    """Write every pair as the `dinstyle image` binary paints it: one run per style over all the
    photos, given the very files the judge compares with (the photo squares, and the style square
    at the photo's size, which the binary scales to its --style-size itself)."""
    names = [n for _, _, n in held.pairs()]
    if folder.is_dir() and all((folder / n).exists() for n in names):
        return
    folder.mkdir(parents=True, exist_ok=True)
    photos = [held.content_dir / f"{p.stem}.png" for p in held.photo_paths]
    for si, style_path in enumerate(held.style_paths):
        style = held.style_dir / f"{style_path.stem}.png"
        with tempfile.TemporaryDirectory(dir=folder) as tmp:
            subprocess.run([str(binary), "image", "--quiet", "--style", str(style), "--out-dir", tmp,
                            *options, *map(str, photos)], check=True, stdout=subprocess.DEVNULL)
            for ci, photo in enumerate(photos):  # dinstyle names its results <photo>-<style>.png
                (Path(tmp) / f"{photo.stem}-{style.stem}.png").replace(folder / held.name(ci, si))


def dinstyle_options(model, alpha, args):
    """`dinstyle image` options that paint as this run's settings do."""
    return ["--model", str(model), "--alpha", f"{alpha:g}", "--style-size", str(args.style_size),
            "--processing-size", str(args.processing_size), "--detail", f"{args.detail:g}",
            "--texture", texture_tag(args.texture)]


def layout_change(painted, photo, pool=LAYOUT_POOL):
    """How far a picture moves the photo's light layout: the mean squared difference of their
    luma averaged over pool x pool pixels, each with its own mean taken off (a style may make the
    whole picture darker or lighter). Blotches, faint broad changes of light posterised into two
    tones, raise it; strokes and a global change of colour barely do."""
    def layout(x):
        light = downsample(luma(x), pool)
        return light - light.mean((2, 3), keepdim=True)
    return F.mse_loss(layout(painted), layout(photo)).item()


def load_painted(path):
    """A written picture as [1, 3, H, W] in [0, 1]."""
    return data.to_uint8_tensor(data.load_rgb(path))[None].float() / 255


def mean_layout_change(folder, held):
    return float(np.mean([layout_change(load_painted(folder / name), held.photos[ci])
                          for ci, _, name in held.pairs()]))


def judge(folder, held, threads):
    out = folder.with_suffix(".judge.json")
    if not out.exists() or out.stat().st_mtime < folder.stat().st_mtime:
        subprocess.run([sys.executable, str(JUDGE), str(folder), "--content", str(held.content_dir),
                        "--style", str(held.style_dir), "--json", str(out), "--threads", str(threads)],
                       check=True, stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())["summary"]


def sheet(path, held, folder):
    """The fixed picture sheet: photos across the top, styles down the side, pictures inside."""
    n_c, n_s = min(SHEET_PHOTOS, len(held.photos)), min(SHEET_STYLES, len(held.styles))
    blank = torch.ones_like(held.photos[0])
    rows = [[blank] + held.photos[:n_c]]
    for si in range(n_s):
        row = [held.styles[si]]
        for ci in range(n_c):
            row.append(load_painted(folder / held.name(ci, si)))
        rows.append(row)
    save_png(torch.cat([torch.cat(r, 3) for r in rows], 2), path)


def training_losses(net, held, alpha, loss_name):
    """The training's own VGG-16 content and style losses (losses.py), mean over the pairs."""
    import losses
    import vgg
    layers = losses.LossLayers.preset(loss_name)
    loss_net = vgg.load(HERE / "cache" / "vgg16_relu4_3.pt")
    c_feats = [loss_net(c, (layers.content,))[0] for c in held.photos]
    s_stats = [losses.style_stats_of(loss_net, s, layers.style) for s in held.styles]
    content, style = [], []
    for ci, si, _ in held.pairs():
        feats = loss_net(paint_one(net, held, ci, si, alpha), layers.all())
        content.append(losses.content_loss(feats[layers.all().index(layers.content)], c_feats[ci]).item())
        style.append(losses.style_loss(feats, s_stats[si], layers.style_weights).item())
    return {f"{loss_name}_content": float(np.mean(content)), f"{loss_name}_style": float(np.mean(style))}


_kernel_cache = {}


def resize(x, side, clamp=True):
    """Bicubic, antialiased when shrinking (as dinstyle's Catmull-Rom resampling); clamp=False for
    a plane that dinstyle resamples in floats."""
    x = F.interpolate(x, size=(side, side), mode="bicubic", antialias=True, align_corners=False)
    return x.clamp(0, 1) if clamp else x


def with_detail(painted, photo, small, amount):
    """dinstyle's detail add-back: `amount` of the photo's luma minus the luma of its scaled-down
    copy scaled back, added to R, G and B alike."""
    if not amount:
        return painted
    low = resize(luma(small), photo.shape[-1], clamp=False)
    return (painted + amount * (luma(photo) - low)).clamp(0, 1)


def with_fine_band(painted, full, side, amount):
    """dinstyle's texture: `amount` of the fine band of `full` (the photo painted at its own size),
    what its copy scaled down to `side` and back lost, added to `painted` (the same size)."""
    if not amount:
        return painted
    low = resize(resize(full, side), full.shape[-1], clamp=False)
    return (painted + amount * (full - low)).clamp(0, 1)


def fine_band_level(x, side):
    """dinstyle's fine-band level: the RMS of the luma of `x` minus that of its copy scaled to
    `side` and back (in 0..1 units; dinstyle counts 0-255 steps)."""
    y = luma(x)
    return float((y - resize(resize(y, side, clamp=False), y.shape[-1], clamp=False)).pow(2).mean().sqrt())


MOST_MATCHED_SHARE = 2.0  # dinstyle's painter::texture::MOST_MATCHED_SHARE
LEVEL_OVER_STYLE = 1.6  # dinstyle's painter::texture::LEVEL_OVER_STYLE


def matching_share(band, detail_band, level, most=MOST_MATCHED_SHARE):
    """dinstyle's `--texture auto`: the share t in 0..most at which the RMS of t * luma(band) +
    detail_band is nearest `level` (the larger root of the quadratic, else its lowest point)."""
    h = luma(band)
    a, b, c = float(h.pow(2).mean()), float((h * detail_band).mean()), float(detail_band.pow(2).mean())
    if a <= 1e-12 or level <= 0:
        return 0.0
    disc = b * b - a * (c - level * level)
    t = (-b + disc ** 0.5) / a if disc >= 0 else -b / a
    return min(max(t, 0.0), most)


def paint_one(net, held, ci, si, alpha):
    key = (id(net), si, ci if alpha != 1 else None, alpha, held.scaled)
    if key not in _kernel_cache:
        # photos painted at the processing size and scaled back take the upscaled style path
        # when the model has one, as in dinstyle
        k = net.encode_style(held.style_inputs[si], upscaled=held.scaled)
        if alpha != 1:  # as dinstyle does: mix with the kernels of the photo itself
            own = net.encode_style(held.photos[ci], upscaled=held.scaled)
            k = mix_kernels([k, own], [alpha, 1 - alpha])
        _kernel_cache[key] = k
    photo = held.photos[ci]
    if not held.scaled:
        return net.stylize(photo, _kernel_cache[key]).clamp(0, 1)
    small = resize(photo, held.processing_size)
    painted = resize(net.stylize(small, _kernel_cache[key]).clamp(0, 1), photo.shape[-1])
    if held.texture:
        # the full-size painting takes the main path, as in dinstyle; at alpha < 1 dinstyle mixes
        # only the upscaled set and paints both sizes with it
        full_size_key = key
        if alpha == 1:
            full_size_key = key[:-1] + (False,)
            if full_size_key not in _kernel_cache:
                _kernel_cache[full_size_key] = net.encode_style(held.style_inputs[si], upscaled=False)
        full = net.stylize(photo, _kernel_cache[full_size_key]).clamp(0, 1)
        share = held.texture
        if share == "auto":  # as much as gives the painting 1.6x the style's fine band at this size
            side = held.processing_size
            band = full - resize(resize(full, side), photo.shape[-1], clamp=False)
            detail_band = held.detail * (luma(photo) - resize(luma(small), photo.shape[-1], clamp=False))
            level = LEVEL_OVER_STYLE * fine_band_level(held.styles[si], side)
            share = matching_share(band, detail_band, level)
        painted = with_fine_band(painted, full, held.processing_size, share)
    return with_detail(painted, photo, small, held.detail)


def texture_choice(s):
    return s if s == "auto" else float(s)


def texture_tag(texture):
    return texture if texture == "auto" else f"{texture:g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, nargs="+", required=True,
                    help="training checkpoints or exported .safetensors models")
    ap.add_argument("--out", type=Path, required=True, help="folder for the pictures and the judge's numbers")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--size", type=int, default=256, help="photo side (default: %(default)s)")
    ap.add_argument("--style-size", type=int, default=256,
                    help="side of the style as encoded (dinstyle's default: %(default)s)")
    ap.add_argument("--processing-size", type=int, default=288,
                    help="paint larger photos at this side and scale back, as dinstyle (default: %(default)s, "
                         "dinstyle's); 0: at --size")
    ap.add_argument("--detail", type=float, default=0.5,
                    help="share of the photo's fine detail put back after scaling up, as dinstyle's "
                         "--detail (default: %(default)s, dinstyle's)")
    ap.add_argument("--texture", type=texture_choice, default="auto",
                    help="share of a full-size painting's fine band added after scaling up, or auto "
                         "(as much as gives the painting 1.6x the style's fine band), as dinstyle image's "
                         "--texture (default: %(default)s, dinstyle image's; the element's is 0)")
    ap.add_argument("--styles", type=int, default=20, help="held-out styles to use (default: %(default)s)")
    ap.add_argument("--photos", type=int, default=40, help="held-out photos to use (default: %(default)s)")
    ap.add_argument("--alphas", default="1", help="comma-separated style strengths (default: %(default)s)")
    ap.add_argument("--sheet", action="store_true", help="write the fixed picture sheet of each system")
    ap.add_argument("--training-loss", metavar="LOSS", help="also the training's VGG-16 losses (johnson, adain, balanced)")
    ap.add_argument("--dinstyle", type=Path, metavar="BIN",
                    help="also paint each exported (.safetensors) model with this dinstyle binary")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path, help="write the table here as JSON")
    args = ap.parse_args()
    torch.set_grad_enabled(False)
    torch.set_num_threads(args.threads)
    held = HeldOut(args.data, args.out, args.photos, args.styles, args.size, args.style_size, args.processing_size,
                   args.detail, args.texture)
    tag = f"{args.size}px-{args.styles}x{args.photos}" + (
        f"-p{args.processing_size}-d{args.detail:g}-t{texture_tag(args.texture)}" if held.scaled else "")

    systems = {"photo": lambda ci, si: held.photos[ci],
               "reinhard": lambda ci, si: torch.from_numpy(reinhard(to_hwc(held.photos[ci]), to_hwc(
                   held.styles[si]))).permute(2, 0, 1)[None].float()}
    # every system as a function that fills its folder: pair by pair, or by the dinstyle binary
    painters = {name: lambda folder, paint=paint: paint_all(folder, held, paint) for name, paint in systems.items()}
    nets = {}
    for path in args.ckpt:
        net, it = load_net(path)
        for a in (float(a) for a in args.alphas.split(",")):
            name = f"{path.stem}@{it}" + ("" if a == 1 else f"-alpha{a:g}")
            painters[name] = lambda folder, net=net, a=a: paint_all(
                folder, held, lambda ci, si: paint_one(net, held, ci, si, a))
            nets[name] = (net, a)
            if args.dinstyle and path.suffix == ".safetensors":
                painters[f"{name}-dinstyle"] = lambda folder, path=path, a=a: paint_with_dinstyle(
                    args.dinstyle, held, folder, dinstyle_options(path.resolve(), a, args))
            elif args.dinstyle:
                print(f"--dinstyle: {path} is a training checkpoint, which dinstyle cannot read; "
                      "judged through Python only", file=sys.stderr)

    table = {}
    for name, fill in painters.items():
        folder = args.out / tag / name
        fill(folder)
        row = judge(folder, held, args.threads)
        table[name] = {k: row[k] for k in ("style_loss", "ssim", "content_loss", "color_dist")}
        table[name]["layout_change"] = mean_layout_change(folder, held)
        if name in nets and args.training_loss:
            table[name] |= training_losses(nets[name][0], held, nets[name][1], args.training_loss)
        if args.sheet:
            sheet(args.out / tag / f"{name}.sheet.png", held, folder)
        print(f"{name:<40}" + "  ".join(f"{k}={v:.4f}" for k, v in table[name].items()), flush=True)
    result = {"pairs": args.styles * args.photos, "size": args.size, "style_size": args.style_size,
              "processing_size": args.processing_size if held.scaled else 0,
              "detail": args.detail if held.scaled else 0,
              "texture": args.texture if held.scaled else 0,
              "systems": table}
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
