"""Pack the training split of ../shared/data small enough to travel to a remote GPU machine.

    python pack_data.py -o gpu/data          # then train.py --data gpu/data on the other side

Only training images are written, as WebP (a third smaller than JPEG at the same look) under
their original names (PIL reads by content), shrunk to a short side of --content-side /
--style-side, and with --styles evenly spaced paintings of the training split when it must be
smaller still. The held-out photos and paintings travel as empty files under their own names:
train.py's split hashes file names, so the packed folder splits exactly as the original does and
nothing held out leaves this machine. The packed images are derived from ../shared/data: keep them
out of the repository (gpu/ is ignored) like the data itself.
"""

import argparse
from pathlib import Path

import data
import train


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--data", type=Path, default=train.DEFAULT_DATA, help="the shared data folder")
    ap.add_argument("-o", "--out", type=Path, required=True, help="packed data folder")
    ap.add_argument("--content-side", type=int, default=256, help="photos' short side at most this")
    ap.add_argument("--style-side", type=int, default=256, help="paintings' short side at most this "
                    "(train.py's --style-size squares)")
    ap.add_argument("--styles", type=int, default=0, help="keep this many training paintings, evenly "
                    "spaced over the sorted list (0: all; dropping training names leaves the split as it is)")
    ap.add_argument("--quality", type=int, default=75, help="WebP quality")
    args = ap.parse_args(argv)
    content_train, content_val, style_train, style_val = train.splits(args.data)
    if 0 < args.styles < len(style_train):
        step = len(style_train) / args.styles
        style_train = [style_train[int(i * step)] for i in range(args.styles)]
    jobs = [(p, args.content_side) for p in content_train] + [(p, args.style_side) for p in style_train]
    def dest_of(path):
        dest = args.out / path.relative_to(args.data)
        dest.parent.mkdir(parents=True, exist_ok=True)
        return dest

    for path, side in jobs:
        dest = dest_of(path)
        im = data.load_rgb(path)
        if min(im.size) > side:
            im = data.resize_short(im, side)
        im.save(dest, "WEBP", quality=args.quality, method=6)
    for path in content_val + style_val:
        dest_of(path).write_bytes(b"")
    print(f"{len(jobs)} training images and {len(content_val) + len(style_val)} held-out names -> {args.out}")


if __name__ == "__main__":
    main()
