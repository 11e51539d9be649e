"""The string hashes TensorFlow's hashing ops use, in plain Python on 64-bit integers.

`fingerprint64` is FarmHash's Fingerprint64 (the "na" variant of Hash64, seed-free), which
`tf.strings.to_hash_bucket_fast` and `tf.sparse.cross_hashed` reduce modulo the bucket count;
`siphash64` is SipHash-2-4 with a two-word key (`tf.strings.to_hash_bucket_strong`);
`fingerprint_cat64` folds one fingerprint into another (how `cross_hashed` combines features).
"""

_MASK = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F
_CAT_MUL = 0xC6A4A7935BD1E995  # TensorFlow's FingerprintCat64 multiplier


def _u64(s, i):
    return int.from_bytes(s[i : i + 8], "little")


def _u32(s, i):
    return int.from_bytes(s[i : i + 4], "little")


def _rotr(v, n):
    return ((v >> n) | (v << (64 - n))) & _MASK


def _shift_mix(v):
    return v ^ (v >> 47)


def _len16(u, v, mul):
    """Mixes two words into one (FarmHash's HashLen16 with an explicit multiplier)."""
    a = _shift_mix(((u ^ v) * mul) & _MASK)
    b = _shift_mix(((v ^ a) * mul) & _MASK)
    return (b * mul) & _MASK


def _len0to16(s):
    n = len(s)
    if n >= 8:
        mul = _K2 + 2 * n
        a = (_u64(s, 0) + _K2) & _MASK
        b = _u64(s, n - 8)
        c = (_rotr(b, 37) * mul + a) & _MASK
        d = ((_rotr(a, 25) + b) * mul) & _MASK
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + 2 * n
        return _len16(n + (_u32(s, 0) << 3), _u32(s, n - 4), mul)
    if n:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_shift_mix(((y * _K2) ^ (z * _K0)) & _MASK) * _K2) & _MASK
    return _K2


def _len17to32(s):
    n = len(s)
    mul = _K2 + 2 * n
    a = (_u64(s, 0) * _K1) & _MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _MASK
    d = (_u64(s, n - 16) * _K2) & _MASK
    return _len16(
        (_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK,
        (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK,
        mul,
    )


def _len33to64(s):
    n = len(s)
    mul = _K2 + 2 * n
    a = (_u64(s, 0) * _K2) & _MASK
    b = _u64(s, 8)
    c = (_u64(s, n - 8) * mul) & _MASK
    d = (_u64(s, n - 16) * _K2) & _MASK
    y = (_rotr((a + b) & _MASK, 43) + _rotr(c, 30) + d) & _MASK
    z = _len16(y, (a + _rotr((b + _K2) & _MASK, 18) + c) & _MASK, mul)
    e = (_u64(s, 16) * mul) & _MASK
    f = _u64(s, 24)
    g = ((y + _u64(s, n - 32)) * mul) & _MASK
    h = ((z + _u64(s, n - 24)) * mul) & _MASK
    return _len16(
        (_rotr((e + f) & _MASK, 43) + _rotr(g, 30) + h) & _MASK,
        (e + _rotr((f + a) & _MASK, 18) + g) & _MASK,
        mul,
    )


def _weak32(s, i, a, b):
    """Two words from the 32 bytes at `s[i:]` and two seeds (WeakHashLen32WithSeeds)."""
    w, x, y, z = _u64(s, i), _u64(s, i + 8), _u64(s, i + 16), _u64(s, i + 24)
    a = (a + w) & _MASK
    b = _rotr((b + a + z) & _MASK, 21)
    c = a
    a = (a + x + y) & _MASK
    b = (b + _rotr(a, 44)) & _MASK
    return (a + z) & _MASK, (b + c) & _MASK


def fingerprint64(s):
    """FarmHash Fingerprint64 of the bytes `s`, an unsigned 64-bit int."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _MASK
    z = (_shift_mix((y * _K2 + 113) & _MASK) * _K2) & _MASK
    v1 = v2 = w1 = w2 = 0
    x = (x * _K2 + _u64(s, 0)) & _MASK
    end = ((n - 1) // 64) * 64
    last = end + ((n - 1) & 63) - 63
    i = 0
    while i != end:  # 64-byte blocks, all but the last (which is read from its end)
        x = (_rotr((x + y + v1 + _u64(s, i + 8)) & _MASK, 37) * _K1) & _MASK
        y = (_rotr((y + v2 + _u64(s, i + 48)) & _MASK, 42) * _K1) & _MASK
        x ^= w2
        y = (y + v1 + _u64(s, i + 40)) & _MASK
        z = (_rotr((z + w1) & _MASK, 33) * _K1) & _MASK
        v1, v2 = _weak32(s, i, (v2 * _K1) & _MASK, (x + w1) & _MASK)
        w1, w2 = _weak32(s, i + 32, (z + w2) & _MASK, (y + _u64(s, i + 16)) & _MASK)
        z, x = x, z
        i += 64
    mul = _K1 + ((z & 0xFF) << 1)
    i = last
    w1 = (w1 + ((n - 1) & 63)) & _MASK
    v1 = (v1 + w1) & _MASK
    w1 = (w1 + v1) & _MASK
    x = (_rotr((x + y + v1 + _u64(s, i + 8)) & _MASK, 37) * mul) & _MASK
    y = (_rotr((y + v2 + _u64(s, i + 48)) & _MASK, 42) * mul) & _MASK
    x ^= (w2 * 9) & _MASK
    y = (y + v1 * 9 + _u64(s, i + 40)) & _MASK
    z = (_rotr((z + w1) & _MASK, 33) * mul) & _MASK
    v1, v2 = _weak32(s, i, (v2 * mul) & _MASK, (x + w1) & _MASK)
    w1, w2 = _weak32(s, i + 32, (z + w2) & _MASK, (y + _u64(s, i + 16)) & _MASK)
    z, x = x, z
    return _len16(
        (_len16(v1, w1, mul) + _shift_mix(y) * _K0 + z) & _MASK,
        (_len16(v2, w2, mul) + x) & _MASK,
        mul,
    )


def _rotl(v, n):
    return ((v << n) | (v >> (64 - n))) & _MASK


def _sip_rounds(v, rounds):
    v0, v1, v2, v3 = v
    for _ in range(rounds):
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return [v0, v1, v2, v3]


def siphash64(key, s):
    """SipHash-2-4 of the bytes `s` under `key`, two unsigned 64-bit words."""
    k0, k1 = (int(k) & _MASK for k in key)
    v = [
        k0 ^ 0x736F6D6570736575,
        k1 ^ 0x646F72616E646F6D,
        k0 ^ 0x6C7967656E657261,
        k1 ^ 0x7465646279746573,
    ]
    n = len(s)
    tail = s[n - n % 8 :] + bytes(7 - n % 8) + bytes([n & 0xFF])
    for i in range(0, n - n % 8, 8):
        m = _u64(s, i)
        v[3] ^= m
        v = _sip_rounds(v, 2)
        v[0] ^= m
    m = _u64(tail, 0)
    v[3] ^= m
    v = _sip_rounds(v, 2)
    v[0] ^= m
    v[2] ^= 0xFF
    v = _sip_rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


def fingerprint_cat64(fp1, fp2):
    """Combines two 64-bit fingerprints into one, order-sensitively."""
    result = fp1 ^ _CAT_MUL
    result ^= (_shift_mix((fp2 * _CAT_MUL) & _MASK) * _CAT_MUL) & _MASK
    result = (result * _CAT_MUL) & _MASK
    result = (_shift_mix(result) * _CAT_MUL) & _MASK
    return _shift_mix(result)
