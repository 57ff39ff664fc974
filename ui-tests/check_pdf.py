"""Read an exported PDF with pypdf and print what a test checks, as JSON.

Usage: python check_pdf.py FILE.pdf

For each page: its size, its text, where each piece of text sits (y from the
bottom, in points), the box around everything drawn on it (paths and images,
through the current transformation), and how many images it places.
"""

import json
import sys

from pypdf import PdfReader


def _apply(m, x, y):
    """A point through the matrix [a b c d e f]."""
    a, b, c, d, e, f = (float(v) for v in m)
    return a * x + c * y + e, b * x + d * y + f


def _mul(m, n):
    """The matrix m followed by n (PDF order: m × n)."""
    a, b, c, d, e, f = (float(v) for v in m)
    a2, b2, c2, d2, e2, f2 = (float(v) for v in n)
    return [
        a * a2 + b * c2,
        a * b2 + b * d2,
        c * a2 + d * c2,
        c * b2 + d * d2,
        e * a2 + f * c2 + e2,
        e * b2 + f * d2 + f2,
    ]


def read_page(page):
    xobjects = page.get("/Resources", {}).get("/XObject", {}) or {}
    points = []
    images = 0
    texts = []

    def before(op, args, cm, tm):
        nonlocal images
        if op == b"re":
            x, y, w, h = (float(v) for v in args)
            points.extend(_apply(cm, px, py) for px, py in ((x, y), (x + w, y + h)))
        elif op in (b"m", b"l"):
            points.append(_apply(cm, float(args[0]), float(args[1])))
        elif op == b"c":
            nums = [float(v) for v in args]
            points.extend(_apply(cm, nums[i], nums[i + 1]) for i in (0, 2, 4))
        elif op == b"Do":
            xobj = xobjects[args[0]].get_object()
            if xobj.get("/Subtype") == "/Image":
                images += 1
                box, m = [0, 0, 1, 1], cm
            else:
                box = [float(v) for v in xobj.get("/BBox", [0, 0, 0, 0])]
                m = _mul(xobj.get("/Matrix", [1, 0, 0, 1, 0, 0]), cm)
            points.extend(_apply(m, box[i], box[j]) for i, j in ((0, 1), (2, 3)))

    def on_text(text, cm, tm, font, size):
        if text.strip():
            x, y = _apply(cm, *_apply(tm, 0, 0))
            texts.append({"text": text.strip(), "x": round(x, 1), "y": round(y, 1)})

    text = page.extract_text(visitor_operand_before=before, visitor_text=on_text)
    box = page.mediabox
    drawn = None
    if points:
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        drawn = [min(xs), min(ys), max(xs), max(ys)]
    return {
        "size": [float(box.width), float(box.height)],
        "text": text,
        "texts": texts,
        "drawn": drawn,
        "images": images,
    }


def main():
    reader = PdfReader(sys.argv[1])
    print(
        json.dumps(
            {
                "title": reader.metadata.title if reader.metadata else None,
                "pages": [read_page(p) for p in reader.pages],
            }
        )
    )


if __name__ == "__main__":
    main()
