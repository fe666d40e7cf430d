#!/usr/bin/env python3
"""Writes the committed fuzz inputs: the seed corpora and the regression inputs (reproducers of
past bugs). Run from tests/fuzz/ after changing it; the files are committed, CI never runs this.
A CSV input's first byte picks the options (csv_target.hpp): bits 0-2 the delimiter (, ; tab | space),
bits 3-4 the header mode (auto, present, absent), bits 5-6 the label column (first, last, none,
'label'), bit 7 one skipped row. A table input's first byte (table_target.hpp): bits 0-1 the
delimiter (, ; tab |), bits 2-3 the header mode, bit 4 decimal commas, bits 5-6 the label (first,
last, 'label', second), bit 7 --task classification."""
import json
import struct


def w(path, data):
    with open(path, 'wb') as f:
        f.write(data)


def st(tensors, meta={"format": "pt"}):
    """A safetensors file: [(name, dtype, shape, raw bytes)] stored back to back."""
    h = {}
    if meta:
        h["__metadata__"] = meta
    data = b''
    for name, dtype, shape, raw in tensors:
        h[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    t = json.dumps(h, separators=(',', ':')).encode()
    t += b' ' * ((8 - len(t) % 8) % 8)
    return struct.pack('<Q', len(t)) + t + data


def f32(*v):
    return struct.pack('<%df' % len(v), *v)


C = 'csv/corpus/'
w(C + 'header_label_first', b'\x00label,a,b\n0,1,2\n1,3,4\n2,255,0\n')
w(C + 'no_header_label_last', b'\x30' + b'1.5,2e3,0\n-1,0.25,1\n')
w(C + 'semicolon_quotes_crlf', b'\x01"x";"y";"label"\r\n"1";"2";"0"\r\n3;4;1\r\n')
w(C + 'tab_label_name', b'\x62x\tlabel\ty\n1\t0\t2\n3\t1\t4\n')
w(C + 'pipe_no_label', b'\x43a|b\n1|2\n3|4\n')
w(C + 'space_delimited', b'\x04' + b'0 1 2\n1 3 4\n')
w(C + 'skip_row_bom_blank_tail', b'\x80' + b'2 rows\n\xef\xbb\xbflabel,p\n0,7\n1,8\n\n\n')
w(C + 'decimals_signs_exponents', b'\x00label,a,b\n0,+1.0,-2.5e-3\n1, 3 ,.5\n')
w(C + 'pixels_wide', b'\x00label,' + b','.join(b'p%d' % i for i in range(64)) + b'\n' +
  b'\n'.join(b'%d,' % (r % 10) + b','.join(b'%d' % ((r * 7 + i * 13) % 256) for i in range(64))
             for r in range(8)) + b'\n')
R = 'csv/regressions/'
w(R + 'nul_in_cell', b'\x00label,a\n0,1\x002\n')
w(R + 'label_999999', b'\x00label,a\n0,1\n999999,2\n1,3\n0,4\n')
w(R + 'label_int32_max', b'\x00label,a\n0,1\n2147483647,2\n')
w(R + 'label_beyond_int32', b'\x00label,a\n0,1\n2147483648,2\n')
w(R + 'zeros', b'\x00' + b'\x00' * 4096)
w(R + 'line_without_newline', b'\x00' + b'a' * 20000)
w(R + 'control_bytes_header', b'\x00lab\x1b[31mel,\x07a\n0,1\n')
w(R + 'nan_inf_cells', b'\x00label,a,b\n0,nan,1\n1,inf,2\n')
w(R + 'huge_exponent', b'\x00label,a\n0,1e999\n1,-1e-999\n')
w(R + 'unterminated_quote', b'\x00label,a\n0,"12\n')
w(C + 'quoted_newlines_header', b'\x00"label","weight\n(kg)","a,b","say ""hi"""\n0,1,2,3\n1,4,5,6\n')
w(R + 'quote_open_over_lines', b'\x00label,a\n0,"1\n' + b'2\n' * 3000)
w(R + 'quoted_newline_in_number', b'\x00label,a\n0,1\n1,"2\n3"\n4,5\n')

S = 'safetensors/corpus/'
w(S + 'two_tensors', st([("count", "I64", [], struct.pack('<q', 7)),
                         ("w", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6))]))
w(S + 'empty', st([], {}))
w(S + 'metadata_only', st([], {"format": "pt", "epochs": "3"}))
w(S + 'f64_scalar', st([("x", "F64", [], struct.pack('<d', 0.25))]))
w(S + 'zero_size_dims', st([("e", "F32", [0, 4], b''), ("s", "F32", [], f32(1.5))]))
w(S + 'mlp_like', st([("network.0.weight", "F32", [4, 3], f32(*[i / 10 for i in range(12)])),
                      ("network.0.bias", "F32", [4], f32(0, 0, 0, 1)),
                      ("network.1.num_batches_tracked", "I64", [], struct.pack('<q', 100))]))
w(S + 'bf16_refused', st([("x", "BF16", [2], b'\x80\x3f\x00\x40')]))
R = 'safetensors/regressions/'
w(R + 'number_overflow_1e999', struct.pack('<Q', 16) + b'{"x":1e999}     ')
w(R + 'nan_weight', st([("w", "F32", [2], f32(1.0, float('nan')))]))
w(R + 'inf_weight', st([("w", "F32", [1], f32(float('-inf')))]))
w(R + 'f64_beyond_float32', st([("x", "F64", [1], struct.pack('<d', 1e300))]))
w(R + 'control_bytes_in_name', st([("a\x00b\x1b[31m", "F33", [1], b'\0\0\0\0')]))
w(R + 'header_length_huge', struct.pack('<Q', 1 << 62) + b'{}')
w(R + 'header_length_past_end', struct.pack('<Q', 64) + b'{}      ')
w(R + 'duplicate_keys', struct.pack('<Q', 8 * 11) +
  b'{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
  b'"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'.ljust(88) + b'\0' * 8)
w(R + 'shape_overflow', st([("w", "F32", [4294967296, 4294967296], b'\0\0\0\0')]))
w(R + 'i64_max', st([("n", "I64", [], struct.pack('<q', 2**63 - 1))]))


def meta(**over):
    """The preprocessing JSON of a model file (what `minigrad train` stores), with keys replaced."""
    m = {"version": 1, "label": "species", "task": "classification",
         "task_reason": "the label column holds text",
         "features": [
             {"name": "bill_length_mm", "type": "numeric", "median": 44.45, "mean": 43.92,
              "std": 5.46, "missing_indicator": True},
             {"name": "island", "type": "categorical", "forced": False,
              "categories": ["Biscoe", "Dream", "Torgersen"], "missing_category": False},
             {"name": "year", "type": "categorical", "forced": True,
              "categories": ["2007", "2008", "2009"], "missing_category": True}],
         "ignored": ["id"], "na_values": ["", "NA", "N/A", "NaN", "nan", "?"],
         "classes": ["Adelie", "Chinstrap", "Gentoo"]}
    m.update(over)
    return json.dumps(m, separators=(',', ':')).encode()


M = 'metadata/corpus/'
w(M + 'classification', meta())
w(M + 'regression', meta(task="regression", label="body_mass_g", classes=None,
                         target={"mean": 4201.75, "std": 801.95}).replace(b',"classes":null', b''))
w(M + 'numeric_only', meta(features=[{"name": "x", "type": "numeric", "median": 0, "mean": -0.5,
                                      "std": 1, "missing_indicator": False}]))
w(M + 'no_task_reason', meta(ignored=[], na_values=[]).replace(
    b'"task_reason":"the label column holds text",', b''))
w(M + 'unicode_names', meta(classes=["\u00e9t\u00e9", "hiver\u2603"], label="saison"))
M = 'metadata/regressions/'
w(M + 'number_overflow_1e999', meta().replace(b'"mean":43.92', b'"mean":1e999'))
w(M + 'task_reason_not_text', meta(task_reason=7))
w(M + 'version_beyond_int', meta(version=1e10))
w(M + 'version_wraps_to_1', meta(version=4294967297))
w(M + 'std_zero', meta().replace(b'"std":5.46', b'"std":0'))
w(M + 'std_denormal', meta().replace(b'"std":5.46', b'"std":1e-39'))
w(M + 'mean_beyond_float', meta().replace(b'"mean":43.92', b'"mean":1e300'))
w(M + 'target_std_negative', meta(task="regression", target={"mean": 0, "std": -1}))
w(M + 'median_far_from_mean', meta().replace(b'"median":44.45', b'"median":3e38').replace(
    b'"mean":43.92', b'"mean":-3e38'))
w(M + 'not_json', b'{"version":1,')
w(M + 'not_an_object', b'[1,2,3]')


T = 'table/corpus/'
PENGUINS = (b'species,island,bill,mass,sex\nAdelie,Biscoe,39.1,3750,male\nGentoo,Dream,NA,5000,\n'
            b'Adelie,,40.3,3250,female\nChinstrap,Biscoe,46.5,NA,female\nNA,Dream,45.2,3500,male\n'
            b'Gentoo,Torgersen,47.1,4800,male\n')
w(T + 'penguins_label_first', b'\x00' + PENGUINS)
w(T + 'regression_label_last', b'\x20x,colour,y\n1,red,10.5\n2,blue,11.25\n3,red,12\n4,,13.5\n')
w(T + 'whole_numbers_classes', b'\x20a,b,label\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n')
w(T + 'semicolon_decimal_commas', b'\x31l\xc3\xa4nge;breite;art\n9,60;9,53;gro\xc3\x9f\n1,51;1,76;klein\n'
  b'"2,5";3;klein\n7,25;8,5e1;gro\xc3\x9f\n')
w(T + 'tab_label_name', b'\x42x\tlabel\ty\n1\tcat\t2\n3\tdog\t4\n5\tcat\t6\n')
w(T + 'pipe_no_header', b'\x2bred|1.5|a\nblue|2.5|b\nred|3|a\n')
w(T + 'quoted_cells_crlf', b'\x00"name, full",x,"say ""hi"""\r\n"a,b",1,yes\r\n"c\nd",2,no\r\n')
w(T + 'forced_classification', b'\x80y,x\n1.5,1\n2.5,2\n1.5,3\n')
w(T + 'missing_markers', b'\x20a,b,c\nNA,?,x\nN/A,null,y\n,None,x\n#N/A,3,y\n')
w(T + 'second_column_label', b'\x60id,kind,v\nr1,a,1\nr2,b,2\nr3,a,3\n')
R = 'table/regressions/'
w(R + 'duplicate_names', b'\x00y,a,a\n0,1,2\n1,3,4\n')
w(R + 'label_all_missing', b'\x00y,a\nNA,1\n,2\n')
w(R + 'label_stray_inf', b'\x20x,y\n' + b''.join(b'%d,%d\n' % (i, 2 * i) for i in range(30)) + b'31,inf\n')
w(R + 'decimal_commas_unasked', b'\x21a;y\n' + b''.join(b'%d,%d;%s\n' % (i, i % 7, b'ab'[i % 2:i % 2 + 1]) for i in range(30)))
w(R + 'one_column', b'\x00y\n1\n2\n')
w(R + 'ragged_row', b'\x00y,a\n0,1\n1\n')
w(R + 'huge_numbers', b'\x20a,b,y\n1e38,-3e38,1e30\n-1e38,3e38,-1e30\n0,0,0\n')
w(R + 'empty_header_cells', b'\x00,,\n1,2,3\n4,5,6\n')
w(R + 'nul_and_controls', b'\x00y,a\x00b\n0,\x1b[31m\n1,\x07\n')
w(R + 'latin1_names_and_cells', b'\x31l\xe4nge;breite;art\n9,60;9,53;gro\xdf\n1,51;1,76;klein\n')
w(R + 'latin1_label_cell', b'\x00art,x\ngro\xdf,1\nklein,2\n')
w(R + 'number_beyond_float', b'\x20x,y\n1e39,1\n2,0\n3,1\n')
w(R + 'standardises_to_infinity', b'\x20x,y\n1,a\n2,b\n3e38,a\n')
