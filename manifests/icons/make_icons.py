import zlib, struct
def png(w, h, px):
    raw = b''.join(b'\x00' + bytes(sum((px(x, y) for x in range(w)), ())) for y in range(h))
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 6, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')
BLUE = (31, 111, 235, 255); WHITE = (255, 255, 255, 255); CLEAR = (0, 0, 0, 0)
def bars(u, v):
    # three bars of decreasing length, like steps of a sequence; u, v in [0,1)
    for i, (top, length) in enumerate([(0.25, 0.70), (0.45, 0.52), (0.65, 0.34)]):
        if top <= v < top + 0.11 and 0.18 <= u < 0.18 + length: return True
    return False
def icon(n, outline=False):
    r = n * 0.2
    def px(x, y):
        u, v = (x + 0.5) / n, (y + 0.5) / n
        if bars(u, v): return WHITE
        if outline: return CLEAR
        cx = min(max(x + 0.5, r), n - r); cy = min(max(y + 0.5, r), n - r)
        return BLUE if (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r else CLEAR
    return png(n, n, px)
for n in (16, 32, 48, 64, 80, 128, 192):
    open(f'icon-{n}.png', 'wb').write(icon(n))
open('outline-32.png', 'wb').write(icon(32, outline=True))
