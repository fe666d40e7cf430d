"""The largest difference between two safetensors files, for the tests that compare two runs.

Usage: safetensors_difference.py <a.safetensors> <b.safetensors> <tolerance>
Compares every tensor (F32 or I64) element by element and, when both files carry minigrad's
preprocessing metadata (minigrad.preprocessing), its figures too, to the same tolerance. Prints the
largest difference and the tensor holding it; exits 1 when it is over the tolerance or the files
hold different tensors or preprocessing.
"""
import json
import struct
import sys


def load(path):
    raw = open(path, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        code = {'F32': 'f', 'I64': 'q'}[entry['dtype']]
        count = (end - begin) // struct.calcsize(code)
        tensors[name] = struct.unpack('<%d%s' % (count, code), data[begin:end])
    preprocessing = header.get('__metadata__', {}).get('minigrad.preprocessing')
    return tensors, json.loads(preprocessing) if preprocessing else None


def same(x, y, tolerance):
    if isinstance(x, float) or isinstance(y, float):
        return abs(x - y) <= tolerance
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(same(x[k], y[k], tolerance) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(same(p, q, tolerance) for p, q in zip(x, y))
    return x == y


(a, prep_a), (b, prep_b) = load(sys.argv[1]), load(sys.argv[2])
tolerance = float(sys.argv[3])
if a.keys() != b.keys():
    sys.exit('different tensors: %s vs %s' % (sorted(a), sorted(b)))
if (prep_a is None) != (prep_b is None) or not same(prep_a, prep_b, tolerance):
    sys.exit('the preprocessing differs')
worst = max((abs(x - y), name) for name in a for x, y in zip(a[name], b[name]))
print('max |difference| %.3g (in %s) over %d tensors%s' %
      (worst[0], worst[1], len(a), '; the same preprocessing' if prep_a is not None else ''))
sys.exit(0 if worst[0] <= tolerance else 1)
